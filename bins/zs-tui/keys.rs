//! Keys, the mouse and pastes: what each does depends on what is open
//! (the permission dialog, a picker) and what runs. The table of keys is
//! in the UI contract and `zs-tui --help`.

use crate::app::{App, Overlay};
use crate::ask::{Ask, AskAnswer};
use crate::dialog::{Dialog, DialogKey};
use crate::editor::EditorAction;
use crate::picker::{Item, Picker, PickerAction};
use crate::select::{self, Selection};
use crate::term::Term;
use crate::view::RowRef;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// Rows the mouse wheel scrolls.
const WHEEL_ROWS: isize = 3;
/// Files the `@` picker lists at most.
const MAX_FILES: usize = 20_000;

impl App {
    pub fn term_event(&mut self, ev: Event, term: &mut Term) {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.key(k, term),
            Event::Paste(s) => self.paste(&s),
            Event::Mouse(m) => self.mouse(m, term),
            Event::Resize(w, h) => {
                term.resize(w, h);
                self.selection = None;
            }
            _ => {}
        }
    }

    fn paste(&mut self, s: &str) {
        if let Some(d) = &mut self.dialog {
            d.paste(s);
            return;
        }
        match &mut self.overlay {
            Overlay::None | Overlay::Commands(_) => {
                self.overlay = Overlay::None;
                self.editor.insert_str(s);
            }
            _ => {}
        }
    }

    fn key(&mut self, k: KeyEvent, term: &mut Term) {
        let ctrl = k.modifiers == KeyModifiers::CONTROL;
        let is_ctrl_c = ctrl && k.code == KeyCode::Char('c');
        if !is_ctrl_c {
            self.quit_armed = false;
        }
        if is_ctrl_c {
            self.ctrl_c();
            return;
        }
        if self.dialog.is_some() {
            self.dialog_key(k);
            return;
        }
        if ctrl && k.code == KeyCode::Char('z') {
            self.suspend(term, true);
            return;
        }
        // The view's own keys work whatever is open.
        match (k.code, k.modifiers) {
            (KeyCode::Char('t'), KeyModifiers::CONTROL) => {
                self.transcript.show_reasoning = !self.transcript.show_reasoning;
                return;
            }
            (KeyCode::Char('o'), KeyModifiers::CONTROL) => {
                self.transcript.toggle_all_tools();
                return;
            }
            (KeyCode::Char('l'), KeyModifiers::CONTROL) => {
                term.invalidate();
                return;
            }
            _ => {}
        }
        if !matches!(self.overlay, Overlay::None) && self.overlay_key(k) {
            return;
        }
        match (k.code, k.modifiers) {
            (KeyCode::PageUp, _) => {
                let page = self.page();
                self.view.scroll(page);
                return;
            }
            (KeyCode::PageDown, _) => {
                let page = self.page();
                self.view.scroll(-page);
                return;
            }
            (KeyCode::Esc, _) => {
                if self.btw.is_some() {
                    self.cancel_btw();
                } else {
                    self.view.scroll_bottom();
                }
                return;
            }
            _ => {}
        }
        let was_empty = self.editor.is_empty();
        match self.editor.handle_key(k) {
            EditorAction::Submit(text) => {
                self.view.scroll_bottom();
                self.submit(text);
            }
            EditorAction::Eof => self.quit = true,
            EditorAction::External => self.external_editor(term),
            EditorAction::Changed => {
                if k.code == KeyCode::Char('/') && was_empty && self.editor.text() == "/" {
                    self.open_command_picker();
                } else if k.code == KeyCode::Char('@')
                    && self.editor.char_before_cursor() == Some('@')
                {
                    self.open_file_picker();
                }
            }
            EditorAction::Ignored => match k.code {
                KeyCode::Home => self.view.scroll_top(),
                KeyCode::End => self.view.scroll_bottom(),
                KeyCode::Up => self.view.scroll(1),
                KeyCode::Down => self.view.scroll(-1),
                _ => {}
            },
        }
    }

    fn page(&self) -> isize {
        (self.view.height().saturating_sub(2).max(1)) as isize
    }

    /// Ctrl-C, by what is going on: the permission dialog denies and
    /// cancels the run; a picker closes; a run is cancelled (its queue
    /// cleared); else a /compact, a running `!cmd`, a /btw answer (Esc
    /// cancels /btw even while a run is active); else a non-empty prompt
    /// is cleared; else the first press warns and the second quits.
    fn ctrl_c(&mut self) {
        if self.dialog.is_some() {
            // Deny, and cancel the run that asked.
            self.dialog = None;
            self.asks.clear();
            self.interrupt_turn();
            return;
        }
        if !matches!(self.overlay, Overlay::None) {
            self.overlay = Overlay::None;
            return;
        }
        if self.turn.is_some() {
            self.interrupt_turn();
            return;
        }
        if let Some(c) = &mut self.compact {
            c.interrupted = true;
            c.run.interrupt();
            return;
        }
        if let Some(s) = &mut self.shell {
            s.interrupted = true;
            s.run.interrupt();
            return;
        }
        if self.btw.is_some() {
            self.cancel_btw();
            return;
        }
        if !self.editor.is_empty() {
            self.editor.clear();
            return;
        }
        if self.quit_armed {
            self.quit = true;
        } else {
            self.quit_armed = true;
            self.transcript.notice("press Ctrl-C again to quit");
            self.view.scroll_bottom();
        }
    }

    fn dialog_key(&mut self, k: KeyEvent) {
        let Some(d) = &mut self.dialog else { return };
        match d.handle_key(k) {
            DialogKey::Answer(a) => self.answer_ask(a),
            DialogKey::Changed | DialogKey::Ignored => {}
        }
    }

    fn answer_ask(&mut self, a: AskAnswer) {
        if let Some(d) = self.dialog.take() {
            d.ask.answer(a);
        }
        self.next_dialog();
    }

    /// Opens the next waiting ask that zs-perm still waits for.
    fn next_dialog(&mut self) {
        while self.dialog.is_none() && !self.asks.is_empty() {
            let ask = self.asks.remove(0);
            if !ask.abandoned() {
                self.dialog = Some(Dialog::new(ask));
            }
        }
    }

    pub fn on_ask(&mut self, ask: Ask) {
        self.asks.push(ask);
        self.next_dialog();
        // An ask is the one thing that must be seen: pin to the bottom.
        self.view.scroll_bottom();
    }

    /// Keys for an open picker; false when the key is not the picker's
    /// (it then goes to the editor).
    fn overlay_key(&mut self, k: KeyEvent) -> bool {
        let nav = matches!(
            k.code,
            KeyCode::Up
                | KeyCode::Down
                | KeyCode::Tab
                | KeyCode::BackTab
                | KeyCode::Enter
                | KeyCode::Esc
                | KeyCode::PageUp
                | KeyCode::PageDown
        ) || (k.modifiers == KeyModifiers::CONTROL
            && matches!(k.code, KeyCode::Char('n' | 'p' | 'g')));
        if let Overlay::Commands(p) = &mut self.overlay {
            if nav {
                let action = p.handle_key(k);
                return self.command_picker_action(action, k.code == KeyCode::Tab);
            }
            // Typing edits the prompt, and the prompt is the query.
            let action = self.editor.handle_key(k);
            let text = self.editor.text().to_string();
            match text.strip_prefix('/') {
                Some(q) if !q.contains(char::is_whitespace) => {
                    if let Overlay::Commands(p) = &mut self.overlay {
                        p.set_query(q);
                    }
                }
                _ => self.overlay = Overlay::None,
            }
            if let EditorAction::Submit(t) = action {
                self.overlay = Overlay::None;
                self.submit(t);
            }
            return true;
        }
        let Some(p) = self.overlay.picker_mut() else {
            return false;
        };
        let action = match p.handle_key(k) {
            // A picker that leaves typing to its owner: the query is
            // edited here.
            PickerAction::Ignored => {
                let mut q = p.query().to_string();
                match k.code {
                    KeyCode::Char(c) if k.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE => {
                        q.push(c);
                        p.set_query(&q);
                        PickerAction::Changed
                    }
                    KeyCode::Backspace if q.is_empty() => PickerAction::Cancel,
                    KeyCode::Backspace => {
                        q.pop();
                        p.set_query(&q);
                        PickerAction::Changed
                    }
                    _ => PickerAction::Ignored,
                }
            }
            a => a,
        };
        match action {
            PickerAction::Accept(label) => {
                let overlay = std::mem::replace(&mut self.overlay, Overlay::None);
                self.picked(overlay, label);
            }
            PickerAction::Cancel => self.overlay = Overlay::None,
            PickerAction::Changed | PickerAction::Ignored => {}
        }
        true
    }

    /// The command picker's answer: Tab completes the name; Enter
    /// completes it and runs a command that needs no argument.
    fn command_picker_action(&mut self, action: PickerAction, tab: bool) -> bool {
        match action {
            PickerAction::Accept(label) => {
                self.overlay = Overlay::None;
                let name = label.trim_start_matches('/').to_string();
                let needs_arg = crate::commands::COMMANDS
                    .iter()
                    .find(|c| c.name.trim_start_matches('/') == name)
                    .is_some_and(|c| !c.args.is_empty() && !c.args.starts_with('['));
                if tab || needs_arg {
                    self.editor.set_text(&format!("/{name} "));
                } else {
                    self.editor.clear();
                    self.submit(format!("/{name}"));
                }
                true
            }
            PickerAction::Cancel => {
                self.overlay = Overlay::None;
                true
            }
            PickerAction::Changed => true,
            // Enter with nothing to pick: the prompt as typed.
            PickerAction::Ignored => {
                self.overlay = Overlay::None;
                false
            }
        }
    }

    fn picked(&mut self, overlay: Overlay, label: String) {
        match overlay {
            Overlay::Files { at, .. } => {
                let end = self.editor.cursor();
                self.editor
                    .replace_range(at, end.max(at + 1), &format!("@{label} "));
            }
            Overlay::Sessions(_) => {
                let id = label.split_whitespace().next().unwrap_or("").to_string();
                self.load_session(&id);
            }
            Overlay::Modes(_) => self.set_mode(&label),
            Overlay::Prompts(_) => self.set_prompt(&label),
            Overlay::Commands(_) | Overlay::None => {}
        }
    }

    fn open_command_picker(&mut self) {
        self.overlay = Overlay::Commands(Picker::new(crate::commands::picker_items()));
    }

    fn open_file_picker(&mut self) {
        let at = self.editor.cursor().saturating_sub(1);
        let items = crate::picker::project_files(&self.cwd, MAX_FILES)
            .into_iter()
            .map(|f| Item {
                label: f,
                detail: String::new(),
            })
            .collect();
        self.overlay = Overlay::Files {
            picker: Picker::new(items),
            at,
        };
    }

    fn mouse(&mut self, m: MouseEvent, term: &mut Term) {
        let in_area = usize::from(m.row) < self.view.rows.len();
        match m.kind {
            MouseEventKind::ScrollUp => self.view.scroll(WHEEL_ROWS),
            MouseEventKind::ScrollDown => self.view.scroll(-WHEEL_ROWS),
            MouseEventKind::Down(MouseButton::Left) => {
                self.selection = in_area.then(|| Selection::new((m.column, m.row)));
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                if let Some(s) = &mut self.selection {
                    let last = self.view.rows.len().saturating_sub(1) as u16;
                    s.head = (m.column, m.row.min(last));
                }
            }
            MouseEventKind::Up(MouseButton::Left) => {
                let Some(s) = self.selection.take() else {
                    return;
                };
                if s.is_empty() {
                    // A click: on a tool row, it shows or hides the output.
                    if let Some(RowRef::Entry { entry, .. }) =
                        self.view.rows.get(usize::from(m.row))
                    {
                        self.transcript.toggle_tool(*entry);
                    }
                    return;
                }
                let text = s.text(&self.view.lines, self.size.0);
                self.copy(&text, term);
            }
            _ => {}
        }
    }

    /// Puts `text` on the clipboard (OSC 52) and says so.
    fn copy(&mut self, text: &str, term: &mut Term) {
        if text.is_empty() {
            return;
        }
        // Written straight away: the terminal takes it whatever is drawn.
        if term.write_raw(select::osc52(text).as_bytes()).is_ok() {
            self.transcript
                .notice(format!("copied {} characters", text.chars().count()));
        }
    }

    /// Ctrl-G: the prompt in $VISUAL or $EDITOR (default vi). The terminal
    /// reader waits meanwhile (see events.rs).
    fn external_editor(&mut self, term: &mut Term) {
        let n = self.next_id();
        let path = self.scratch.join(format!("prompt-{n}.md"));
        if let Err(e) = std::fs::write(&path, self.editor.text()) {
            self.transcript
                .error(format!("cannot write '{}': {e}", path.display()));
            return;
        }
        let editor = ["VISUAL", "EDITOR"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
            .unwrap_or_else(|| "vi".into());
        let _ = term.suspend();
        // Through sh, so an $EDITOR with arguments ("code --wait") works.
        let status = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&path)
            .status();
        let _ = term.resume(true);
        match status {
            Ok(s) if s.success() => match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    self.editor.set_text(text);
                }
                Err(e) => {
                    self.transcript
                        .error(format!("cannot read the edited prompt: {e}"));
                }
            },
            Ok(s) => {
                self.transcript
                    .error(format!("{editor} failed ({s}); the prompt is unchanged"));
            }
            Err(e) => {
                self.transcript.error(format!("cannot run {editor}: {e}"));
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Ctrl-Z, or SIGTSTP from outside: the terminal restored, then back
    /// to the shell until `fg`. `reader_paused`: the terminal reader waits
    /// for the main thread (after a Ctrl-Z key), so in inline mode the
    /// terminal can be asked where the shell left the cursor.
    pub fn suspend(&mut self, term: &mut Term, reader_paused: bool) {
        let _ = term.suspend();
        crate::events::stop();
        // Here again after SIGCONT.
        let _ = term.resume(reader_paused);
    }
}

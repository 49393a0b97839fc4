//! The one channel the main thread blocks on, and the threads that feed it:
//! the terminal reader (blocked in `crossterm::event::read`), the signal
//! watcher, and the callbacks of child processes and the ask server. When
//! nothing happens every thread is blocked in a read, so an idle zs-tui
//! uses no CPU at all.

use crate::ask::Ask;
use crate::pipeline::RunEvent;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::sync::mpsc::{Receiver, Sender, channel};

/// Which child a `RunEvent` comes from: each start gets a new number, so a
/// late line of an old child is never taken for the current one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Turn(u64),
    Btw(u64),
    Shell(u64),
    Compact(u64),
}

/// Everything the main loop reacts to.
#[derive(Debug)]
pub enum Msg {
    Term(Event),
    /// The terminal could not be read any more.
    TermGone(String),
    Run(Child, RunEvent),
    Ask(Ask),
    /// SIGTERM, SIGHUP, SIGINT or SIGQUIT from outside: quit.
    Signal(i32),
    /// SIGTSTP from outside (`kill -TSTP`; in raw mode Ctrl-Z is a key):
    /// suspend as Ctrl-Z does.
    Stop,
}

/// Keys after which the reader waits for the main thread before reading
/// again: the main thread hands the terminal to another program (Ctrl-G
/// runs $EDITOR, Ctrl-Z stops the process), and a reader still reading
/// would steal that program's keys.
pub fn pauses_reader(ev: &Event) -> bool {
    matches!(
        ev,
        Event::Key(KeyEvent {
            code: KeyCode::Char('g' | 'z'),
            modifiers,
            kind: KeyEventKind::Press,
            ..
        }) if *modifiers == KeyModifiers::CONTROL
    )
}

/// Starts the terminal reader. After a key that [`pauses_reader`], it waits
/// for a message on the returned sender before it reads again.
pub fn spawn_term_reader(tx: Sender<Msg>) -> std::io::Result<Sender<()>> {
    let (resume_tx, resume_rx): (Sender<()>, Receiver<()>) = channel();
    std::thread::Builder::new()
        .name("terminal".into())
        .spawn(move || {
            loop {
                match crossterm::event::read() {
                    Ok(ev) => {
                        let pause = pauses_reader(&ev);
                        if tx.send(Msg::Term(ev)).is_err() {
                            return;
                        }
                        if pause && resume_rx.recv().is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Msg::TermGone(e.to_string()));
                        return;
                    }
                }
            }
        })?;
    Ok(resume_tx)
}

/// Forwards SIGTERM, SIGHUP, SIGINT and SIGQUIT (from `kill`: in raw mode
/// Ctrl-C and Ctrl-\ are keys, not signals) to the main loop, so each ends
/// zs-tui the orderly way: the run cancelled, the terminal restored. SIGTSTP
/// becomes [`Msg::Stop`]: its default action would stop the process with
/// the terminal still in raw mode and on the alternate screen, so the main
/// loop restores the terminal first and then stops ([`stop`]).
pub fn spawn_signals(tx: Sender<Msg>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for s in signals.forever() {
                let msg = if s == SIGTSTP {
                    Msg::Stop
                } else {
                    Msg::Signal(s)
                };
                if tx.send(msg).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Stops the process until SIGCONT, as SIGTSTP's default action would.
/// SIGTSTP itself has a handler now (it only wakes the main loop), so the
/// stop is SIGSTOP, which cannot be caught.
pub fn stop() {
    let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ctrl_g_and_ctrl_z_pause_the_reader() {
        let key = |c, m| Event::Key(KeyEvent::new(KeyCode::Char(c), m));
        assert!(pauses_reader(&key('g', KeyModifiers::CONTROL)));
        assert!(pauses_reader(&key('z', KeyModifiers::CONTROL)));
        assert!(!pauses_reader(&key('g', KeyModifiers::NONE)));
        assert!(!pauses_reader(&key(
            'g',
            KeyModifiers::CONTROL | KeyModifiers::ALT
        )));
        assert!(!pauses_reader(&Event::Resize(80, 24)));
    }
}

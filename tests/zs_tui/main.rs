//! zs-tui end to end in tmux (stub until the tests land).

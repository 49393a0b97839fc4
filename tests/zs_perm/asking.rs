//! Asking: the socket, the terminal, the non-interactive policy.

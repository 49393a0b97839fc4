//! The filter: pass-through, state across processes, subcommands.

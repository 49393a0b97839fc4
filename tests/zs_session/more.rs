//! Tests of the subcommands beyond the core store: fork, export and
//! import, rename and delete, stats, compact.

//! zs-chat tests: anthropic.

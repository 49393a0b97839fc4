//! zs-chat tests: gemini.

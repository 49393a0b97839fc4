//! zs-chat tests: ollama.

//! zs-chat tests: openai_chat.

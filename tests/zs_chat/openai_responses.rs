//! zs-chat tests: openai_responses.

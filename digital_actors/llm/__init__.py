"""Language models behind one small port: Anthropic, OpenAI-compatible servers, fakes."""

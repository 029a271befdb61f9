"""Who speaks: the Actor port, the offline understudy and the LLM-backed actor."""

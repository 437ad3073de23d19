"""The AI port: study materials from OpenAI or the offline engine, behind one service.

    service.AIService.run(task, lecture)   the one entry stages call
    engine.Engine / Prompt / Completion    the port both engines implement (openai_engine, offline/)
    prompts, profiles                      prompt files by content version; per-tenant setting profiles
    split, checks                          long transcripts in parts; answer checks beyond the schema
    cache, ledger, breaker                 JSON answer cache, cost ledger, circuit breaker per endpoint
    admin                                  `handouts ai cache clear` and `handouts ai costs`
"""

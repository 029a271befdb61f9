"""Writers' tools: ``check`` (lint and explore a scene), ``.play`` playthroughs, understanding corpora."""

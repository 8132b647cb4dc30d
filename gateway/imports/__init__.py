"""History imports: every newly consented meter's whole history, fetched in the background.

- ``plan``: which calls import a point's history (pure);
- ``keys``: the account's cache key, sealed in Redis while its imports need it;
- ``progress``: the SQL of the import's progress (``history_imports``);
- ``budget``: the import's share of each API's hourly budget;
- ``runner``: the import of one point (resumable: fetches only the days not cached);
- ``jobs``: the job engine (procrastinate) and the workers of a replica.
"""

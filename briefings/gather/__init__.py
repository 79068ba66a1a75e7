"""The gatherer: fetch feeds (fetch), decode and normalise them (parse, urls), keep one row per article
(store), optionally fetch full text (extract), and run it all as one fault-isolated cycle (cycle)."""

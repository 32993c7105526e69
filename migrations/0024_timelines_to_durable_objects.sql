-- Home timelines moved to TimelinePartition Durable Objects (docs/scale.md, "Timelines"): the feed
-- falls back to reading followed authors from D1 until new posts refill them.
DROP TABLE `timeline`;
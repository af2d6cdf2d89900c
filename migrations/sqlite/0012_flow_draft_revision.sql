-- The draft's revision counts every write to it. The Messages editor saves with the revision it
-- last saw, so two editors on the same draft cannot silently overwrite each other: a save based
-- on an older revision is refused and the editor is told who changed the draft.
ALTER TABLE flow_draft ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;

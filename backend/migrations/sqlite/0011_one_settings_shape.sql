-- imports.settings held two JSON shapes: a raw upload's {"has_header","delimiter","encoding",
-- "mapping"} (mapping a list of targets or an object from column to target) and a batch
-- import's {"mapping": <what the client sent>}. Both become the one shape the code reads
-- strictly: {"encoding","delimiter","has_header","mapping","mapping_by_name"}. A mapping that
-- is not a list or object of targets is dropped (a batch import keeps it for the record
-- only). A value that is not JSON is left as it is: the job that needs it fails and says so.
UPDATE imports SET settings = json_object(
    'encoding',
    CASE WHEN json_type(settings, '$.encoding') = 'text'
        THEN json_extract(settings, '$.encoding') END,
    'delimiter',
    CASE WHEN json_type(settings, '$.delimiter') = 'integer'
        AND json_extract(settings, '$.delimiter') BETWEEN 0 AND 255
        THEN json_extract(settings, '$.delimiter') END,
    'has_header',
    CASE json_type(settings, '$.has_header')
        WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') END,
    'mapping',
    CASE WHEN json_type(settings, '$.mapping') = 'array' AND NOT EXISTS (
            SELECT 1 FROM json_each(settings, '$.mapping')
            WHERE type <> 'null' AND (type <> 'text' OR value NOT IN (
                'first_name', 'last_name', 'full_name', 'email', 'note',
                'accepts_marketing', 'customer_group')))
        THEN json(json_extract(settings, '$.mapping')) END,
    'mapping_by_name',
    CASE WHEN json_type(settings, '$.mapping') = 'object' AND NOT EXISTS (
            SELECT 1 FROM json_each(settings, '$.mapping')
            WHERE type <> 'null' AND (type <> 'text' OR value NOT IN (
                'first_name', 'last_name', 'full_name', 'email', 'note',
                'accepts_marketing', 'customer_group')))
        THEN json(json_extract(settings, '$.mapping')) END
)
-- CASE, so that nothing parses a value that is not JSON (json_type would raise an error).
WHERE CASE WHEN json_valid(settings)
    THEN json_type(settings) = 'object' AND json_type(settings, '$.mapping_by_name') IS NULL
    ELSE 0 END;

-- imports.settings held two JSON shapes: a raw upload's {"has_header","delimiter","encoding",
-- "mapping"} (mapping a list of targets or an object from column to target) and a batch
-- import's {"mapping": <what the client sent>}. Both become the one shape the code reads
-- strictly: {"encoding","delimiter","has_header","mapping","mapping_by_name"}. A mapping that
-- is not a list or object of targets is dropped (a batch import keeps it for the record
-- only). A value that is not JSON is left as it is: the job that needs it fails and says so.
CREATE FUNCTION pg_temp.intake_settings_json(t text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN t::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

-- True when every element of a list, or every value of an object, is a target or null.
CREATE FUNCTION pg_temp.intake_targets_only(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT NOT EXISTS (
        SELECT 1
        FROM (
            SELECT value FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END)
            UNION ALL
            SELECT value FROM jsonb_each(
                CASE WHEN jsonb_typeof(v) = 'object' THEN v ELSE '{}'::jsonb END)
        ) AS e(value)
        WHERE jsonb_typeof(e.value) <> 'null'
            AND (jsonb_typeof(e.value) <> 'string' OR e.value #>> '{}' NOT IN (
                'first_name', 'last_name', 'full_name', 'email', 'note',
                'accepts_marketing', 'customer_group'))
    )
$$;

UPDATE imports AS i SET settings = jsonb_build_object(
    'encoding',
    CASE WHEN jsonb_typeof(s.j -> 'encoding') = 'string' THEN s.j -> 'encoding' END,
    'delimiter',
    CASE WHEN jsonb_typeof(s.j -> 'delimiter') = 'number'
        AND (s.j ->> 'delimiter') ~ '^[0-9]{1,3}$'
        AND (s.j ->> 'delimiter')::int <= 255
        THEN s.j -> 'delimiter' END,
    'has_header',
    CASE WHEN jsonb_typeof(s.j -> 'has_header') = 'boolean' THEN s.j -> 'has_header' END,
    'mapping',
    CASE WHEN jsonb_typeof(s.j -> 'mapping') = 'array'
        AND pg_temp.intake_targets_only(s.j -> 'mapping')
        THEN s.j -> 'mapping' END,
    'mapping_by_name',
    CASE WHEN jsonb_typeof(s.j -> 'mapping') = 'object'
        AND pg_temp.intake_targets_only(s.j -> 'mapping')
        THEN s.j -> 'mapping' END
)::text
FROM (SELECT id, pg_temp.intake_settings_json(settings) AS j FROM imports) AS s
WHERE s.id = i.id
    AND jsonb_typeof(s.j) = 'object'
    AND NOT (s.j ? 'mapping_by_name');

DROP FUNCTION pg_temp.intake_targets_only(jsonb);
DROP FUNCTION pg_temp.intake_settings_json(text);

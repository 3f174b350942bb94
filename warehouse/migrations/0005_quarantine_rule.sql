-- Each quarantined row carries the code of the rule that set it aside, so that
-- counts group by rule without reading the message text. Rows quarantined
-- before this version get their rule from the messages popdq wrote then.

ALTER TABLE quarantine ADD COLUMN rule VARCHAR;

UPDATE quarantine SET rule = CASE
    WHEN reason = 'empty row' THEN 'empty_row'
    WHEN reason LIKE 'expected % fields, found %' THEN 'wrong_width'
    WHEN reason = 'not valid UTF-8 text' THEN 'not_utf8'
    WHEN reason LIKE 'empty %' THEN 'empty_key'
    WHEN reason LIKE 'duplicate %' THEN 'duplicate_key'
    ELSE 'other'
END;

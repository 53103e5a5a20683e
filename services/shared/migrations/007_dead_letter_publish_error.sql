-- A dead letter the dead-letter topic refused (larger than its max.message.bytes, or an invalid record) is
-- kept here with the broker's answer instead of holding its partition back forever; the bytes stay in
-- message_key/message_value. NULL: not refused (published, or waiting to be).
ALTER TABLE dead_letters ADD COLUMN publish_error text;
ALTER TABLE dead_letters_superseded ADD COLUMN publish_error text;

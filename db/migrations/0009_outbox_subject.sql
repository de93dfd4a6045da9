-- The built-in mailbox finds messages by recipient or subject (issue 14).
-- The subject was made from the message's kind and payload each time it
-- was shown; it is now kept with the message when it is written
-- (mail.Subject), the subject it was sent with. Rows from before get it
-- here, worded as mail.Subject worded it when this migration was written.

-- +goose Up
ALTER TABLE outbox ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE outbox SET subject = CASE kind
    WHEN 'invitation' THEN coalesce(nullif(json_extract(payload, '$.inviter_name'), ''), 'An administrator')
        || ' invited you to join ' || coalesce(json_extract(payload, '$.account_name'), '')
    WHEN 'reminder' THEN 'Reminder: your invitation to join ' || coalesce(json_extract(payload, '$.account_name'), '')
    WHEN 'new_invitation' THEN 'A new invitation to join ' || coalesce(json_extract(payload, '$.account_name'), '')
    WHEN 'renewal_request' THEN coalesce(nullif(json_extract(payload, '$.invitee_name'), ''), json_extract(payload, '$.invitee_email'), '')
        || ' asks for a new invitation to join ' || coalesce(json_extract(payload, '$.account_name'), '')
    ELSE '' END
WHERE json_valid(payload);

-- +goose Down
ALTER TABLE outbox DROP COLUMN subject;

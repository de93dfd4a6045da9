-- What is kept in memory of the spaces (every session's access, the names
-- of the roles on the users list) is read again only when they changed:
-- a number that triggers move with every change to spaces, whoever
-- writes (issue 19). Reading every space at each commit anywhere was a
-- tenth of the server's CPU while an administrator invited people.

-- +goose Up
CREATE TABLE spaces_version (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
);
INSERT INTO spaces_version (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER spaces_version_insert AFTER INSERT ON spaces BEGIN
	UPDATE spaces_version SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER spaces_version_update AFTER UPDATE ON spaces BEGIN
	UPDATE spaces_version SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER spaces_version_delete AFTER DELETE ON spaces BEGIN
	UPDATE spaces_version SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER spaces_version_delete;
DROP TRIGGER spaces_version_update;
DROP TRIGGER spaces_version_insert;
DROP TABLE spaces_version;

-- A template's provider reference: `kind` and `id` every vendor has, plus an adapter-owned
-- part (JSON the vendor's adapter types and checks). HeyMilo's `url_key`, until now a
-- column of its own, moves into it unchanged. (SQLite twin of migrations/postgres.)
ALTER TABLE templates ADD COLUMN ref_vendor TEXT NOT NULL DEFAULT '{}';
UPDATE templates SET ref_vendor = json_object('url_key', ref_url_key)
    WHERE ref_url_key IS NOT NULL;
ALTER TABLE templates DROP COLUMN ref_url_key;

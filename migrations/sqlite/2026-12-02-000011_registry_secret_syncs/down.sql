DROP TABLE registry_secret_syncs;

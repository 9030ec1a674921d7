DROP TABLE job_templates;
DROP TABLE images;
DROP TABLE repositories;

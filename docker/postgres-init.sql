-- Runs once, when the postgres container first makes its data folder: Temporal's visibility
-- database. The main one, `temporal`, is the container's POSTGRES_DB.
CREATE DATABASE temporal_visibility;

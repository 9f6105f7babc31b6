-- compose.yaml: one database per service, as in production (each service owns its data).
CREATE DATABASE keel_auth;
CREATE DATABASE keel_core;
CREATE DATABASE keel_notification;
CREATE DATABASE keel_search;

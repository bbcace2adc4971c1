//! Backstage catalog source: `GET /api/catalog/entities/by-query` with cursor pagination.

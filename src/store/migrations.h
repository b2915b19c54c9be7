#ifndef MS_STORE_MIGRATIONS_H
#define MS_STORE_MIGRATIONS_H

/* One numbered migration, generated from src/store/migrations/DIALECT/NNNN_name.sql:
 * each SQL dialect (each store backend) has its own numbered list. */
struct migration {
  int number;       /* 1, 2, ...; 0 ends the table */
  const char *name; /* file name */
  const char *sql;  /* statements, run in one transaction */
};

extern const struct migration ms_migrations_sqlite[];

#endif

#ifndef MS_STORE_MIGRATIONS_H
#define MS_STORE_MIGRATIONS_H

/* One numbered migration, generated from src/store/migrations/NNNN_name.sql. */
struct migration {
  int number;       /* 1, 2, ...; 0 ends the table */
  const char *name; /* file name */
  const char *sql;  /* statements, run in one transaction */
};

extern const struct migration ms_migrations[];

#endif

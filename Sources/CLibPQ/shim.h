// libpq, the PostgreSQL client library (Debian libpq-dev), for `type: postgres` sources.
#include <libpq-fe.h>

// Snappy (Debian libsnappy-dev), for Parquet pages compressed with SNAPPY.
#include <snappy-c.h>

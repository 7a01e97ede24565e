// glibc allocator tuning (mallopt), for the command-line tool only.
#include <malloc.h>

#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
// libpq's public API. Debian's libpq-dev installs it under /usr/include/postgresql,
// which pkg-config (libpq.pc) adds to the include path.
#include <libpq-fe.h>
#endif

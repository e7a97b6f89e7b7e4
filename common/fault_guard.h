// A guard for mapped files that change under us. A weight file rewritten or truncated in
// place while it is mapped (a re-download, `open(path, "wb")`) makes the next read of a
// page past its new end raise SIGBUS, which would kill the process and every editor's
// pending request with it. With the guard installed, a SIGBUS inside a registered mapping
// is absorbed: the mapping's pages from the faulting one on are replaced by zero pages,
// the mapping is marked faulted, and the read goes on (it reads zeros). Whoever read from
// it checks faulted() after its work and throws the result away (MappedFile::check).
// A SIGBUS anywhere else goes to the handler that was there before (or the default).
//
// Which thread may call what: any; the handler runs on whichever thread faulted.
#pragma once

#include <cstddef>

namespace infilld {

// Installs the SIGBUS handler once (later calls do nothing).
void install_fault_guard();

// Registers [begin, begin + size) (page-aligned, as mmap returns it); returns a slot, or
// -1 when the table (256 mappings) is full (the mapping is then unguarded).
int guard_mapping(const void* begin, size_t size);
void unguard_mapping(int slot);
// Whether a SIGBUS hit the mapping in `slot` since it was registered.
bool mapping_faulted(int slot);

}  // namespace infilld

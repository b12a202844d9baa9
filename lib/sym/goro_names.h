// goro_names.h: naming a goroutine's function from its start address's site.
#pragma once
#include <string>

#include "sym/proc_symbols.h"

namespace ts::sym {

// g_function_name() names the function a G runs: goro starts every G in
// goro::detail::g_trampoline<Fn>, so the user's function is the template argument; otherwise the
// site's function without its parameters (short_function), or describe() when it has no name.
std::string g_function_name(const Site& s);

}  // namespace ts::sym

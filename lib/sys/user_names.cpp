// user_names.cpp: the passwd lookups, cached.
#include "sys/user_names.h"

#include <pwd.h>

namespace ts::sys {

const std::string& UserNames::name(uint32_t uid) {
  auto it = names_.find(uid);
  if (it != names_.end()) return it->second;
  std::string name;
  passwd pw{}, *res = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) name = res->pw_name;
  else name = std::to_string(uid);
  return names_.emplace(uid, std::move(name)).first->second;
}

}  // namespace ts::sys

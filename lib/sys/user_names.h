// user_names.h: UserNames, user names by uid from the passwd database, cached.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>

namespace ts::sys {

// UserNames gives the name of a uid as ps shows it: the passwd database's (getpwuid_r(3), so NSS
// too), or the uid as text when it has none. Each uid is looked up once. Not thread-safe.
class UserNames {
 public:
  // name() is the name of `uid`, valid until the next call.
  const std::string& name(uint32_t uid);

 private:
  std::unordered_map<uint32_t, std::string> names_;
};

}  // namespace ts::sys

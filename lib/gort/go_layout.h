// go_layout.h: where the Go runtime keeps each field it is read for, taken by NAME from the
// program's own DWARF: no per-version offset tables. A renamed or missing field is found here, once,
// and reported with its name and the Go version.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <elfutils/libdw.h>

namespace ts::gort {

// Field is where a (possibly nested) struct member lies: byte offset from the struct's start and
// the size of its scalar leaf (1, 2, 4 or 8 bytes).
struct Field {
  uint32_t offset = 0;
  uint32_t size = 0;
  bool is_signed = false;
  bool found = false;  // false: the DWARF has no such member

  // end() is the first byte past it.
  uint32_t end() const { return offset + size; }
};

// GoLayout resolves runtime struct members from DWARF. Go emits each runtime type once as a
// top-level DW_TAG_structure_type named "runtime.g"; members carry a constant
// DW_AT_data_member_location. Dotted paths ("sched.sp", "gFree.n") follow member types through
// typedefs; a leaf that is one of Go's atomic wrappers (runtime/internal/atomic.Uint32, ... since
// Go 1.20; internal/runtime/atomic since 1.23) is descended into its "value" (a Bool: "u.value").
class GoLayout {
 public:
  // GoLayout() indexes the struct types of `dw` (not owned; must outlive it) named in `types`.
  GoLayout(Dwarf* dw, std::initializer_list<std::string_view> types);

  // has_type() tells whether the struct `type` ("runtime.g") was found.
  bool has_type(std::string_view type) const { return types_.count(std::string(type)) > 0; }
  // size_of() is the byte size of struct `type`; 0 when unknown.
  uint64_t size_of(std::string_view type) const;
  // field() resolves `path` in struct `type`; found = false when any step is missing or the leaf
  // is not a scalar of 1, 2, 4 or 8 bytes.
  Field field(std::string_view type, std::string_view path) const;

 private:
  std::map<std::string, Dwarf_Die, std::less<>> types_;
};

// kStillWorks ends every message that says a Go program's goroutines cannot be read: what taskscope
// still shows of it. A caller that shows more (stack's LWP stacks) may replace it.
inline constexpr std::string_view kStillWorks = "ps, threads and maps still work";

// FieldMissing is the one-line message for a required field the DWARF lacks: "runtime.g.goid is
// not in the DWARF of this go1.xx program: its runtime layout is not one taskscope knows (renamed
// field?)".
std::string field_missing(std::string_view type, std::string_view path, std::string_view go_version);

}  // namespace ts::gort

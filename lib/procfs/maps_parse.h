// maps_parse.h: parsing /proc/PID/maps text into MemorySegments (unclassified).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/segment.h"

namespace ts {

// parse_maps_line() parses one line of /proc/PID/maps ("START-END PERMS OFFSET DEV INODE [PATH]").
// The pathname is everything after the inode and its padding, so it may hold spaces; a trailing
// " (deleted)" is kept as the kernel wrote it; the kernel's "\012" for a newline in a file name
// becomes the newline again (the path is the file's real name, for JSON and for opening it). Returns nullopt for a malformed line (the text is
// untrusted: a torn read or a future format must not crash us). kind is left as Other.
std::optional<MemorySegment> parse_maps_line(std::string_view line);

// parse_maps() parses every line of a maps file, skipping malformed ones; `skipped`, when given,
// receives how many were skipped.
std::vector<MemorySegment> parse_maps(std::string_view text, size_t* skipped = nullptr);

// mapping_file() is a segment path without the kernel's " (deleted)" suffix, for comparing paths.
std::string_view mapping_file(std::string_view path);

// is_deleted() tells whether the kernel marked the mapped file as deleted.
bool is_deleted(std::string_view path);

// is_pseudo_path() tells whether a path is a kernel name in brackets ("[heap]", "[anon:x]").
bool is_pseudo_path(std::string_view path);

}  // namespace ts

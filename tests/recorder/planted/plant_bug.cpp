// plant_bug SOURCE MUTATION OUTPUT: writes SOURCE with the mutation's edits to OUTPUT, for the
// planted-bug tests of the recording back end (tests/recorder/CMakeLists.txt). A mutation file:
//   # comments
//   --- find
//   <lines that occur exactly once in SOURCE>
//   --- replace
//   <the lines that take their place>
// with as many find/replace pairs as the bug needs. A find that does not occur exactly once is
// an error, so a change to the source that moves the planted line fails the build loudly
// instead of planting nothing.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string(path) + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t occurrences(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: plant_bug SOURCE MUTATION OUTPUT\n";
    return 2;
  }
  try {
    std::string source = read(argv[1]);
    std::istringstream mutation(read(argv[2]));
    std::vector<std::pair<std::string, std::string>> edits;
    std::string* into = nullptr;
    for (std::string line; std::getline(mutation, line);) {
      if (line == "--- find") {
        edits.emplace_back();
        into = &edits.back().first;
      } else if (line == "--- replace" && !edits.empty()) {
        into = &edits.back().second;
      } else if (into) {
        *into += line + "\n";
      } else if (!line.empty() && line[0] != '#') {
        throw std::runtime_error(std::string(argv[2]) + ": text before the first '--- find'");
      }
    }
    if (edits.empty()) throw std::runtime_error(std::string(argv[2]) + ": no edits");
    for (const auto& [find, replace] : edits) {
      const size_t count = occurrences(source, find);
      if (count != 1) {
        throw std::runtime_error(std::string(argv[2]) + ": the text to find occurs " + std::to_string(count) +
                                 " times in " + argv[1] + " (must be once):\n" + find);
      }
      source.replace(source.find(find), find.size(), replace);
    }
    std::ofstream out(argv[3], std::ios::binary);
    out << source;
    if (!out) throw std::runtime_error(std::string(argv[3]) + ": cannot write");
  } catch (const std::exception& e) {
    std::cerr << "plant_bug: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

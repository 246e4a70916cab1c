// Parses the syntax lines of the command table into COMMAND DOCS argument trees, so each command's
// documentation is written once, in the notation people already read in Redis's docs.
#include <cctype>
#include <string>

#include "daemon/command_table.h"

namespace pylon::daemon {
namespace {

bool IsTokenWord(std::string_view w) {
  bool letter = false;
  for (char c : w) {
    if (std::islower(static_cast<unsigned char>(c))) return false;
    if (std::isupper(static_cast<unsigned char>(c))) letter = true;
  }
  return letter;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class SyntaxParser {
 public:
  explicit SyntaxParser(std::string_view text) : text_(text) {}

  bool ParseAll(std::vector<ArgDoc>* out, std::string* error) {
    std::vector<std::vector<ArgDoc>> alts;
    if (!ParseAlternatives('\0', &alts)) return Report(error);
    if (alts.size() != 1) return Report(error, "top-level '|' needs a group");
    *out = std::move(alts[0]);
    return true;
  }

 private:
  // Parses "seq | seq | ..." up to the closing character (or the end for '\0').
  bool ParseAlternatives(char close, std::vector<std::vector<ArgDoc>>* alts) {
    alts->emplace_back();
    while (true) {
      SkipSpace();
      if (pos_ == text_.size()) {
        if (close != '\0') return Fail("missing closing bracket");
        break;
      }
      char c = text_[pos_];
      if (c == close) {
        pos_++;
        break;
      }
      if (c == ']' || c == ')') return Fail("unbalanced bracket");
      if (c == '|') {
        pos_++;
        alts->emplace_back();
        continue;
      }
      ArgDoc item;
      if (!ParseItem(&item)) return false;
      SkipSpace();
      if (text_.substr(pos_, 3) == "...") {
        pos_ += 3;
        item.multiple = true;
      }
      Append(&alts->back(), std::move(item));
    }
    bool top_level_empty = close == '\0' && alts->size() == 1;
    for (const auto& seq : *alts) {
      if (seq.empty() && !top_level_empty) return Fail("empty alternative");
    }
    return true;
  }

  bool ParseItem(ArgDoc* item) {
    char c = text_[pos_];
    if (c == '[' || c == '(') {
      pos_++;
      std::string label = ParseLabel();
      std::vector<std::vector<ArgDoc>> alts;
      if (!ParseAlternatives(c == '[' ? ']' : ')', &alts)) return false;
      if (alts.size() > 1) {
        item->type = "oneof";
        for (auto& seq : alts) item->args.push_back(AsOne(std::move(seq)));
      } else if (alts[0].size() == 1) {
        *item = std::move(alts[0][0]);
      } else {
        item->type = "block";
        item->args = std::move(alts[0]);
      }
      if (!label.empty()) item->name = label;
      if (item->name.empty()) item->name = DeriveName(*item);
      item->optional = item->optional || c == '[';
      return true;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) &&
           std::string_view("[]()|").find(text_[pos_]) == std::string_view::npos &&
           text_.substr(pos_, 3) != "...") {
      pos_++;
    }
    std::string_view word = text_.substr(start, pos_ - start);
    if (word.empty()) return Fail("unexpected character");
    if (IsTokenWord(word)) {
      item->name = Lower(word);
      item->type = "pure-token";
      item->token = std::string(word);
      return true;
    }
    size_t colon = word.find(':');
    item->name = std::string(word.substr(0, colon));
    item->type = colon != std::string_view::npos ? std::string(word.substr(colon + 1))
                 : item->name == "key"           ? "key"
                                                 : "string";
    return true;
  }

  // "[condition: NX | XX]" names the group "condition".
  std::string ParseLabel() {
    SkipSpace();
    size_t end = pos_;
    while (end < text_.size() && (std::islower(static_cast<unsigned char>(text_[end])) ||
                                  text_[end] == '-' || text_[end] == '_')) {
      end++;
    }
    if (end < text_.size() && end > pos_ && text_[end] == ':') {
      std::string label(text_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return label;
    }
    return "";
  }

  // A token directly followed by an argument is one argument with a token: "EX seconds".
  static void Append(std::vector<ArgDoc>* seq, ArgDoc item) {
    if (!seq->empty() && seq->back().type == "pure-token" && item.type != "pure-token" &&
        item.type != "oneof" && item.type != "block" && item.token.empty() && !item.optional &&
        !seq->back().multiple) {
      item.token = std::move(seq->back().token);
      seq->pop_back();
    }
    seq->push_back(std::move(item));
  }

  static ArgDoc AsOne(std::vector<ArgDoc> seq) {
    if (seq.size() == 1) return std::move(seq[0]);
    ArgDoc block;
    block.type = "block";
    block.args = std::move(seq);
    block.name = DeriveName(block);
    return block;
  }

  static std::string DeriveName(const ArgDoc& group) {
    std::string name;
    for (const auto& a : group.args) {
      if (!name.empty()) name += '-';
      name += a.name;
    }
    return name;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) pos_++;
  }
  bool Fail(std::string what) {
    if (error_.empty()) error_ = std::move(what) + " at " + std::to_string(pos_);
    return false;
  }
  bool Report(std::string* error, std::string what = "") {
    *error = what.empty() ? error_ : what;
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

bool ParseSyntax(std::string_view syntax, std::vector<ArgDoc>* out, std::string* error) {
  out->clear();
  return SyntaxParser(syntax).ParseAll(out, error);
}

}  // namespace pylon::daemon

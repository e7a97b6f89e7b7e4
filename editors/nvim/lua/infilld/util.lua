-- Position encodings and suggestion splitting. Pure functions, no editor state.
--
-- Neovim columns are byte offsets into UTF-8 lines; LSP positions count code units
-- of the negotiated encoding ("utf-8", "utf-16" or "utf-32").

local M = {}

-- bytes in the UTF-8 sequence starting with byte b (1 for a stray continuation byte)
local function seq_len(b)
  if b < 0xC0 then return 1 elseif b < 0xE0 then return 2 elseif b < 0xF0 then return 3 end
  return 4
end

-- code units of `enc` taken by the character starting at byte i of s
local function char_units(s, i, enc)
  local len = seq_len(s:byte(i))
  if enc == "utf-8" then return len, len end
  if enc == "utf-16" and len == 4 then return 2, len end
  return 1, len
end

--- Code units of `enc` in s:sub(1, byte_col).
function M.units(s, byte_col, enc)
  if enc == "utf-8" then return math.min(byte_col, #s) end
  local n, i = 0, 1
  while i <= byte_col and i <= #s do
    local u, len = char_units(s, i, enc)
    n = n + u
    i = i + len
  end
  return n
end

--- Length of s in code units of `enc`.
function M.length(s, enc)
  return M.units(s, #s, enc)
end

--- Byte column of the position `units` code units of `enc` into line s. A position past
--- the end clamps to the end (as LSP says); a position inside a character returns nil.
function M.byte_col(s, units, enc)
  if units <= 0 then return 0 end
  if enc == "utf-8" then
    if units >= #s then return #s end
    local b = s:byte(units + 1)
    if b >= 0x80 and b < 0xC0 then return nil end
    return units
  end
  local n, i = 0, 1
  while n < units do
    if i > #s then return #s end
    local u, len = char_units(s, i, enc)
    n = n + u
    i = i + len
  end
  if n ~= units then return nil end
  return math.min(i - 1, #s)
end

--- Splits s on "\n" (keeping empty pieces).
function M.lines(s)
  local out, start = {}, 1
  while true do
    local nl = s:find("\n", start, true)
    if not nl then
      table.insert(out, s:sub(start))
      return out
    end
    table.insert(out, s:sub(start, nl - 1))
    start = nl + 1
  end
end

-- A word character: ASCII letters, digits, "_" and every byte of a non-ASCII character
-- (so a word never ends inside a multi-byte character).
local WORD = "[%w_\128-\255]"
local PUNCT = "[^%w_\128-\255%s]"

--- The next word of a suggestion, as the accept-word key inserts it:
---   * a leading newline and the indentation after it, when the text starts with one;
---   * otherwise leading spaces/tabs, then either a run of word characters or a run of
---     other non-blank characters (punctuation);
---   * a text of blanks only is taken whole (up to the next newline).
function M.next_word(s)
  if s == "" then return "" end
  local nl = s:match("^\n[ \t]*")
  if nl then return nl end
  local lead = s:match("^[ \t]*")
  local rest = s:sub(#lead + 1)
  local w = rest:match("^" .. WORD .. "+") or rest:match("^" .. PUNCT .. "+")
  if w then return lead .. w end
  return lead
end

--- The next line of a suggestion, as the accept-line key inserts it: up to (not including)
--- the next newline; when the text starts with a newline, that newline and the line after it.
function M.next_line(s)
  if s == "" then return "" end
  if s:sub(1, 1) == "\n" then
    local nl = s:find("\n", 2, true)
    return nl and s:sub(1, nl - 1) or s
  end
  local nl = s:find("\n", 1, true)
  return nl and s:sub(1, nl - 1) or s
end

--- Expands tabs in s to spaces, s starting at display column `start_col` (0-based).
function M.expand_tabs(s, start_col, tabstop)
  if not s:find("\t", 1, true) then return s end
  tabstop = (tabstop and tabstop > 0) and tabstop or 8
  local out, col = {}, start_col
  for ch in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    if ch == "\t" then
      local n = tabstop - (col % tabstop)
      table.insert(out, string.rep(" ", n))
      col = col + n
    else
      table.insert(out, ch)
      col = col + vim.fn.strdisplaywidth(ch)
    end
  end
  return table.concat(out)
end

--- Neovim's version as {major, minor, patch}.
function M.version()
  local v = vim.version()
  return { v.major, v.minor, v.patch }
end

--- True when Neovim is at least major.minor.
function M.has_version(major, minor)
  local v = vim.version()
  return v.major > major or (v.major == major and v.minor >= minor)
end

--- Calls a method of a vim.lsp client: client.f(...) before Neovim 0.11, client:f(...)
--- since (where the dot form is deprecated).
function M.call(client, method, ...)
  if M.has_version(0, 11) then return client[method](client, ...) end
  return client[method](...)
end

return M

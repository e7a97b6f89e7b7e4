-- Neovim 0.12+: vim.lsp.inline_completion draws and accepts the suggestions (its own
-- debounce, about 200 ms, and its own ghost text). This module enables it for the
-- client's buffers and adds what it lacks: accept next word / next line (through
-- get{on_accept}, reported with textDocument/didPartiallyAcceptCompletion) and dismiss.
-- It sends no didShowCompletion (Neovim has no hook for it) and shows no streaming.

local util = require("infilld.util")

local api = vim.api
local M = {}

function M.available()
  return vim.lsp.inline_completion ~= nil and vim.lsp.inline_completion.enable ~= nil
    and util.has_version(0, 12)
end

function M.describe()
  return "vim.lsp.inline_completion (Neovim's own, 0.12+)"
end

function M.attach(bufnr)
  vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
end

function M.detach(bufnr)
  pcall(vim.lsp.inline_completion.enable, false, { bufnr = bufnr })
end

local function native_ns()
  return api.nvim_get_namespaces()["nvim.lsp.inline_completion"]
end

function M.visible(bufnr)
  local ns = native_ns()
  if not ns then return false end
  return #api.nvim_buf_get_extmarks(bufnr or 0, ns, 0, -1, { limit = 1 }) > 0
end

-- (row, col) where an item's range starts, whatever form Neovim gives it in.
local function range_start(range)
  if type(range) ~= "table" then return nil end
  if type(range.to_extmark) == "function" then
    local r, c = range:to_extmark()
    return r, c
  end
  if type(range[1]) == "number" then return range[1], range[2] end
  if type(range.start_row) == "number" then return range.start_row, range.start_col end
  if type(range.start) == "table" and type(range.start[1]) == "number" then
    return range.start[1], range.start[2]
  end
  return nil
end

local function item_text(item)
  local t = item.insert_text or item.value
  if type(t) == "table" then t = t.value end
  return type(t) == "string" and t or nil
end

-- Inserts the next word/line of the item at the cursor, reports it; returns nil so that
-- Neovim inserts nothing itself. The whole rest is left to Neovim (it runs the command).
local function partial(kind, get_client)
  return function(item)
    local text = item_text(item)
    if not text then return item end
    local bufnr = api.nvim_get_current_buf()
    local c = api.nvim_win_get_cursor(0)
    local row, col = c[1] - 1, c[2]
    local typed = ""
    local srow, scol = range_start(item.range)
    if srow == row and scol and scol <= col then
      local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
      local t = line:sub(scol + 1, col)
      if text:sub(1, #t) == t then typed = t end
    end
    local rest = text:sub(#typed + 1)
    local part = kind == "word" and util.next_word(rest) or util.next_line(rest)
    if part == "" or part == rest then return item end
    local pieces = util.lines(part)
    api.nvim_buf_set_text(bufnr, row, col, row, col, pieces)
    api.nvim_win_set_cursor(0, { row + #pieces, (#pieces == 1 and col or 0) + #pieces[#pieces] })
    local client = get_client(bufnr)
    if client then
      util.call(client, "notify", "textDocument/didPartiallyAcceptCompletion", {
        item = { insertText = text, command = item.command },
        acceptedLength = util.length(typed .. part, "utf-16"),
      })
    end
    return nil
  end
end

--- Accepts "all", "word" or "line"; false when no suggestion is shown.
function M.accept(kind, get_client)
  if kind == "all" then return vim.lsp.inline_completion.get() end
  return vim.lsp.inline_completion.get({ on_accept = partial(kind, get_client) })
end

--- Hides the suggestion (by re-enabling inline completion for the buffer).
function M.dismiss()
  local bufnr = api.nvim_get_current_buf()
  local shown = M.visible(bufnr)
  if vim.lsp.inline_completion.is_enabled and not vim.lsp.inline_completion.is_enabled({ bufnr = bufnr }) then
    return shown
  end
  vim.lsp.inline_completion.enable(false, { bufnr = bufnr })
  vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  return shown
end

--- Asks for a suggestion now: get() requests one when none is shown.
function M.trigger()
  if not M.visible() then vim.lsp.inline_completion.get() end
end

return M

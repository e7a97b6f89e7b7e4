-- Ghost text with extmarks: the suggestion's first line as virt_text at the cursor, the
-- other lines as virt_lines below it.
--
-- Neovim 0.10+ has virt_text_pos = "inline", which shifts the rest of the line to the
-- right. Before (0.7: "eol", "overlay", "right_align" only) the first line is drawn with
-- "overlay" at the cursor column; when text follows the cursor, the ghost line is
-- followed by a copy of that text (normal highlight) so that the line reads as it will
-- after acceptance, and for a multi-line suggestion the copy moves to the end of the
-- last virtual line (the first line is padded with blanks to hide the real text).

local util = require("infilld.util")

local api = vim.api
local M = {}

M.ns = api.nvim_create_namespace("infilld")
M.inline = util.has_version(0, 10)

--- The renderer in words, for :InfilldStatus and :checkhealth.
function M.describe()
  if M.inline then return "extmarks, virt_text_pos=inline + virt_lines" end
  return "extmarks, virt_text_pos=overlay + virt_lines (no inline virtual text before Neovim 0.10)"
end

function M.clear(bufnr)
  if bufnr and api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

--- Draws `text` (may hold newlines) as ghost text at (row, col), 0-based, col in bytes.
--- Returns the extmark id, or nil when the position is no longer in the buffer.
function M.show(bufnr, row, col, text, hl)
  M.clear(bufnr)
  if text == "" then return nil end
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
  if not line or col > #line then return nil end
  local ts = vim.bo[bufnr].tabstop
  local lines = util.lines(text)
  local start_vcol = vim.fn.strdisplaywidth(line:sub(1, col))
  local first = util.expand_tabs(lines[1], start_vcol, ts)
  local virt_text = { { first, hl } }
  local virt_lines = {}
  for i = 2, #lines do
    table.insert(virt_lines, { { util.expand_tabs(lines[i], 0, ts), hl } })
  end
  local opts = {
    virt_text = virt_text,
    hl_mode = "combine",
    priority = 65000,
  }
  local after = line:sub(col + 1)
  if M.inline then
    opts.virt_text_pos = "inline"
  else
    opts.virt_text_pos = "overlay"
    if after ~= "" then
      local after_shown = util.expand_tabs(after, start_vcol, ts)
      if #lines == 1 then
        table.insert(virt_text, { util.expand_tabs(after, start_vcol + vim.fn.strdisplaywidth(first), ts),
                                  "Normal" })
      else
        local hide = vim.fn.strdisplaywidth(after_shown) - vim.fn.strdisplaywidth(first)
        if hide > 0 then table.insert(virt_text, { string.rep(" ", hide), "Normal" }) end
        local last = virt_lines[#virt_lines]
        local last_w = vim.fn.strdisplaywidth(last[1][1])
        table.insert(last, { util.expand_tabs(after, last_w, ts), "Normal" })
      end
    end
  end
  if #virt_lines > 0 then opts.virt_lines = virt_lines end
  local ok, id = pcall(api.nvim_buf_set_extmark, bufnr, M.ns, row, col, opts)
  if not ok then return nil end
  return id
end

return M

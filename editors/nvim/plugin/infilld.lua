-- infilld: commands, available before setup(). The plugin does nothing until
-- require("infilld").setup({ model = "/path/to/model" }) is called.
if vim.g.loaded_infilld then return end
vim.g.loaded_infilld = true

local function cmd(name, fn, desc)
  vim.api.nvim_create_user_command(name, fn, { desc = desc })
end

cmd("InfilldStatus", function()
  print(table.concat(require("infilld").status_lines(), "\n"))
end, "infilld: server state, binary, model, renderer")

cmd("InfilldStats", function()
  print(table.concat(require("infilld").stats_lines(), "\n"))
end, "infilld: the server's counters and latencies (infilld/stats)")

cmd("InfilldEnable", function() require("infilld").enable(true) end, "infilld: show suggestions")
cmd("InfilldDisable", function() require("infilld").enable(false) end, "infilld: stop suggesting")
cmd("InfilldToggle", function()
  local m = require("infilld")
  m.enable(not m.enabled)
end, "infilld: toggle suggestions")
cmd("InfilldRestart", function()
  local m = require("infilld")
  m.stop()
  vim.defer_fn(function() m.enable(true) end, 500)
end, "infilld: restart the server")

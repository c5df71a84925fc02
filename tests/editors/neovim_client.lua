-- Drives the mirrord language server from Neovim 0.7's built-in LSP client.
-- Inputs come from the environment; results are written as JSON to MIRRORD_TEST_OUT.
local out_path = vim.env.MIRRORD_TEST_OUT
local config_path = vim.env.MIRRORD_TEST_CONFIG
local results = { diagnostics = {}, reply = vim.NIL, error = vim.NIL }

local function finish()
  local f = io.open(out_path, "w")
  f:write(vim.json.encode(results))
  f:close()
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  local client_id = vim.lsp.start_client({
    name = "mirrord",
    cmd = { vim.env.MIRRORD_TEST_PYTHON, "-m", "mirrord_ide", "serve" },
    root_dir = vim.fn.fnamemodify(config_path, ":h"),
    init_options = { mirrord = { kubeconfig = vim.env.MIRRORD_TEST_KUBECONFIG } },
  })
  assert(client_id, "the language server did not start")
  vim.cmd("edit " .. vim.fn.fnameescape(config_path))
  vim.lsp.buf_attach_client(0, client_id)

  vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(results.diagnostics, {
      code = d.code or lsp.code,
      source = d.source,
      message = d.message,
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
    })
  end

  local client = vim.lsp.get_client_by_id(client_id)
  local response, request_err = client.request_sync("mirrord/listNamespaces", {}, 20000, 0)
  if response == nil then
    results.error = { message = tostring(request_err) }
  elseif response.err then
    results.error = { code = response.err.code, message = response.err.message, data = response.err.data }
  else
    results.reply = response.result
  end
  client.stop()
end)
if not ok then
  results.error = { message = "lua: " .. tostring(err) }
end
finish()

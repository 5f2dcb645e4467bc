/* Copy a calendar address to the clipboard, and say so. */
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  const status = button.closest(".calendar-url")?.querySelector("[data-copy-status]");
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    if (status) status.textContent = "Copied. Paste it where your calendar app asks for a URL.";
  } catch {
    if (status) status.textContent = "Select the address and copy it (Ctrl+C or long-press).";
  }
});

// Progressive enhancement: the character counts of the sketch form update while typing. Without
// JavaScript the page shows the count at the last save, and the browser stops at the limit.
document.querySelectorAll("[data-count-for]").forEach(function (counter) {
  var field = document.getElementById(counter.getAttribute("data-count-for"));
  var limit = parseInt(counter.getAttribute("data-limit"), 10);
  if (!field) { return; }
  var template = counter.textContent.replace(/\d+/, "{count}");
  function update() {
    var used = field.value.replace(/\r\n/g, "\n").length;
    counter.textContent = template.replace("{count}", used);
    counter.classList.toggle("char-count--over", used > limit);
  }
  field.addEventListener("input", update);
});

/* The live total of the criteria weights on the challenge and amendment forms. No inline
 * script: the markup carries data-* hooks (templates/challenges/staff/_criteria_formset.html).
 *
 *   <fieldset data-criteria-formset>
 *     <input data-criterion-weight> ...
 *     <output data-criteria-total data-ok-text=".." data-wrong-text="..">
 *       <strong data-criteria-sum>..</strong>%
 *     </output> <span data-criteria-verdict>..</span>
 *   </fieldset>
 *
 * Without JavaScript the server shows the same total after saving; this only saves a round
 * trip. The output element is a polite live region, so screen readers hear the new total.
 */
(function () {
  "use strict";

  function total(inputs) {
    return inputs.reduce(function (sum, input) {
      var value = parseInt((input.value || "").trim(), 10);
      return isNaN(value) ? sum : sum + value;
    }, 0);
  }

  function setUp(formset) {
    var inputs = Array.prototype.slice.call(formset.querySelectorAll("[data-criterion-weight]"));
    var output = formset.querySelector("[data-criteria-total]");
    var sum = formset.querySelector("[data-criteria-sum]");
    var verdict = formset.querySelector("[data-criteria-verdict]");
    if (!output || !sum || !verdict) {
      return;
    }
    function update() {
      var value = total(inputs);
      var ok = value === 100;
      sum.textContent = String(value);
      verdict.textContent = ok ? output.getAttribute("data-ok-text")
                               : output.getAttribute("data-wrong-text");
      formset.classList.toggle("criteria-formset--ok", ok);
      formset.classList.toggle("criteria-formset--wrong", !ok);
    }
    inputs.forEach(function (input) {
      input.addEventListener("input", update);
    });
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-criteria-formset]"), setUp);
})();

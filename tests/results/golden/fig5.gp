# fig5: written by fufi report from fig5.dat. Run: gnuplot fig5.gp (in this directory).
set datafile separator whitespace
set datafile missing "NaN"
set encoding utf8
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 1500,450 enhanced font "sans,10"
} else {
  set terminal png size 1500,450
}
set output "fig5.png"
set multiplot layout 1,3 title "DualFocal as a plug-in loss (x labels: change in %)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set key below horizontal
set xtics rotate by -20
set title "MSE P2"
plot "fig5.dat" index 0 using 2:xtic(1) title "own loss" lc rgb "#bbbbbb", "" index 0 using 3 title "DualFocal" lc rgb "#cc3311"
set title "MAE P2"
plot "fig5.dat" index 1 using 2:xtic(1) title "own loss" lc rgb "#bbbbbb", "" index 1 using 3 title "DualFocal" lc rgb "#cc3311"
set title "MAPE P2"
plot "fig5.dat" index 2 using 2:xtic(1) title "own loss" lc rgb "#bbbbbb", "" index 2 using 3 title "DualFocal" lc rgb "#cc3311"
unset multiplot
unset output
set terminal svg size 1500,450 enhanced font "sans,10"
set output "fig5.svg"
set multiplot layout 1,3 title "DualFocal as a plug-in loss (x labels: change in %)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set key below horizontal
set xtics rotate by -20
set title "MSE P2"
plot "fig5.dat" index 0 using 2:xtic(1) title "own loss" lc rgb "#bbbbbb", "" index 0 using 3 title "DualFocal" lc rgb "#cc3311"
set title "MAE P2"
plot "fig5.dat" index 1 using 2:xtic(1) title "own loss" lc rgb "#bbbbbb", "" index 1 using 3 title "DualFocal" lc rgb "#cc3311"
set title "MAPE P2"
plot "fig5.dat" index 2 using 2:xtic(1) title "own loss" lc rgb "#bbbbbb", "" index 2 using 3 title "DualFocal" lc rgb "#cc3311"
unset multiplot
unset output

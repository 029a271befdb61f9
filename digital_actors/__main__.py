from digital_actors.cli import main

main()
